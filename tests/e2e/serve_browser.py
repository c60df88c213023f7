"""Drive quire serve's pages in headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium): the list, the stock report, a
parameter changed, Run, the result (the HTML report when the server has it,
else its links), the PDF downloaded and read back, and the Excel workbook
when there is one, its numbers checked against kpis.csv.

usage: serve_browser.py URL DOWNLOAD_DIR COUNTS_FILE [SCREENSHOT.png]
Prints FAIL lines; writes "PASSED FAILED" to COUNTS_FILE.
"""
import csv
import glob
import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

URL, DL, COUNTS = sys.argv[1], sys.argv[2], sys.argv[3]
SHOT = sys.argv[4] if len(sys.argv) > 4 else None
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, flush=True)
    return cond


def wait_for(fn, seconds, step=0.2):
    end = time.time() + seconds
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except (NoSuchElementException, StaleElementReferenceException):
            pass
        time.sleep(step)
    return None


def downloaded(suffix, seconds=30):
    def found():
        files = [f for f in glob.glob(os.path.join(DL, "*" + suffix))
                 if not f.endswith(".crdownload")]
        return files[0] if files else None
    return wait_for(found, seconds)


def number(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
          "--window-size=1280,1000", "--no-first-run", "--disable-extensions"):
    opts.add_argument(a)
opts.add_experimental_option("prefs", {
    "download.default_directory": DL,
    "download.prompt_for_download": False,
    "safebrowsing.enabled": False,
})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
try:
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DL})
    driver.set_page_load_timeout(60)

    # The list.
    driver.get(URL + "/")
    check("Reports" in driver.title, "list page title: %r" % driver.title)
    links = driver.find_elements(By.CSS_SELECTOR, "a.report")
    stock = [a for a in links if a.get_attribute("href").endswith("/reports/monthly_segments")]
    check(stock and "Monthly Customer Segment" in stock[0].text, "no stock report in the list")
    check("first month of the report" in driver.page_source, "no parameter help in the list")

    # The stock report's form: a month picker, a choice, Run.
    stock[0].click()
    month = wait_for(lambda: driver.find_element(By.NAME, "from"), 10)
    check(month is not None and month.get_attribute("type") == "month",
          "the month parameter is not a month picker")
    check(month.get_attribute("value") == "2024-02", "month default: %r"
          % month.get_attribute("value"))
    # Chromium's month picker takes typed text by locale; set it as a user's
    # pick would leave it.
    driver.execute_script("arguments[0].value = '2024-03';", month)
    region = Select(driver.find_element(By.NAME, "region"))
    check([o.text for o in region.options] == ["All", "North", "South"],
          "choices are not a select")
    region.select_by_visible_text("North")
    driver.find_element(By.ID, "run").click()

    # Progress, then the result.
    check(wait_for(lambda: "/runs/" in driver.current_url, 20), "no run page")
    status = wait_for(lambda: driver.find_element(By.ID, "status").text
                      if driver.find_element(By.ID, "status").text in ("done", "failed") else None,
                      120, 0.5)
    check(status == "done", "the run ended %r" % status)
    check("from=2024-03" in driver.page_source and "region=North" in driver.page_source,
          "the run page does not show the parameters chosen")
    frames = driver.find_elements(By.ID, "report")
    if frames:
        driver.switch_to.frame(frames[0])
        body = driver.page_source
        check("Monthly Customer Segment" in body, "the HTML report lacks its title")
        check("<svg" in body, "the HTML report has no inline SVG chart")
        driver.switch_to.default_content()
    else:
        check(driver.find_elements(By.ID, "files"), "no files on the run page")
    if SHOT:
        driver.save_screenshot(SHOT)

    # The PDF.
    pdf_link = [a for a in driver.find_elements(By.CSS_SELECTOR, "#files a")
                if a.get_attribute("href").endswith("/report.pdf")]
    check(pdf_link, "no PDF link")
    if pdf_link:
        pdf_link[0].click()
        pdf = downloaded(".pdf")
        check(pdf, "the PDF was not downloaded")
        if pdf:
            text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True,
                                  text=True).stdout
            check("Monthly Customer Segment" in text.replace("\n", " "),
                  "the PDF lacks the title")
            check("Mar" in text, "the PDF does not show March")

    # kpis.csv, and the workbook when the server makes one.
    csv_link = [a for a in driver.find_elements(By.CSS_SELECTOR, "#files a")
                if a.get_attribute("href").endswith("/kpis.csv")]
    check(csv_link, "no kpis.csv link")
    rows = []
    if csv_link:
        csv_link[0].click()
        kpis = downloaded(".csv")
        check(kpis, "kpis.csv was not downloaded")
        if kpis:
            with open(kpis, newline="") as f:
                rows = list(csv.reader(f))
            check(len(rows) > 3, "kpis.csv is nearly empty")
    xlsx_link = [a for a in driver.find_elements(By.CSS_SELECTOR, "#files a")
                 if a.get_attribute("href").endswith("/report.xlsx")]
    if xlsx_link:
        import openpyxl
        xlsx_link[0].click()
        book = downloaded(".xlsx")
        check(book, "the workbook was not downloaded")
        if book and rows:
            wb = openpyxl.load_workbook(book, data_only=True)
            cells = set()
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    for v in row:
                        if isinstance(v, (int, float)):
                            cells.add(round(float(v), 6))
            # kpis.csv is period,segment,kpi,value: every value is a number
            # of the workbook (stored as numbers, not text).
            want = [number(r[3]) for r in rows[1:] if len(r) > 3 and number(r[3]) is not None]
            missing = [v for v in want if round(v, 6) not in cells]
            check(len(want) > 10 and not missing,
                  "%d of %d values of kpis.csv are not numbers of the workbook: %s"
                  % (len(missing), len(want), missing[:5]))
except WebDriverException as e:
    check(False, "the browser failed: %s" % str(e).splitlines()[0])
finally:
    driver.quit()
    with open(COUNTS, "w") as f:
        f.write("%d %d\n" % (passed, failed))
